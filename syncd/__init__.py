"""syncd: recurring 1:1s, private notes and skipped-meeting reports that run by themselves."""

# Exit codes of every command: done, something failed (a source, a write, a refused
# plan), and the command could not start (a bad config, a held lock).
EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
