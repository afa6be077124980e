"""The TA's command line: `python -m autograder {release,validate,demo,...}`.

A thin argparse layer (`cli.py`) over plain functions, one module a job.
"""
