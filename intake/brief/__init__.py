"""The therapist's brief: content (pure), render (HTML, PDF), build (from stored rows),
store (the stored PDF and its version), jobs (queue, thread, retries), samples (worked examples).
"""
