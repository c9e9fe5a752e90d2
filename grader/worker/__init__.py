"""Code that runs inside the sandbox, next to the student's code.

This package is copied into each sandbox as ``grader_worker`` and must import
nothing from the rest of :mod:`grader` (only the standard library and numpy),
so it uses relative imports only. Nothing secret is in it.
"""
