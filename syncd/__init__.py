"""syncd: recurring 1:1s, private notes and skipped-meeting reports that run by themselves."""
