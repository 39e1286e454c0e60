"""Plumbing shared by the stand-in services (the mock insurer and the mock supervision platform):
fault injection and what each needs to run as a process of its own. It names neither domain, so
both mocks build on it without knowing each other; nothing of the hospital's own code uses it."""
