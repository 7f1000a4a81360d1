package main

// The wheel's text files. initPy takes VERSION and its PEP 440 form;
// metadata takes the PEP 440 form, then VERSION twice.

const initPy = `"""The workerbench binary, for Python installs.

workerbench measures how many requests a web server really serves at once,
at what cost, and whether a change made that worse. This package carries its
binary: the console script ` + "`workerbench`" + ` and ` + "`python -m workerbench`" + ` run it;
binary() is its path. See https://github.com/workerbench/workerbench.
"""

import os

__version__ = "%[2]s"  # workerbench %[1]s

__all__ = ["binary"]


def binary():
    """The path of the workerbench binary this package carries."""
    return os.path.join(os.path.dirname(os.path.abspath(__file__)), "bin", "workerbench")
`

const mainPy = `"""Runs the workerbench binary this package carries with this process's
arguments: the console script ` + "`workerbench`" + ` and ` + "`python -m workerbench`" + `."""

import os
import sys

from workerbench import binary


def main():
    exe = binary()
    if not os.access(exe, os.X_OK):
        sys.exit("workerbench: %s is missing or not executable: reinstall the workerbench wheel" % exe)
    argv = [exe] + sys.argv[1:]
    if os.name == "posix":
        # The binary takes this process's place: exit status, signals and
        # the terminal are the caller's, with no Python left in between.
        os.execv(exe, argv)
    import subprocess

    sys.exit(subprocess.call(argv))


if __name__ == "__main__":
    main()
`

const entryPoints = `[console_scripts]
workerbench = workerbench.__main__:main
`

// metadata is core metadata 2.1, what every pip and PyPI read. The
// classifiers must be trove classifiers PyPI knows, or it refuses the
// upload.
const metadata = `Metadata-Version: 2.1
Name: workerbench
Version: %[1]s
Summary: How many requests your web server really serves at once, at what cost, and whether a change made it worse
Home-page: https://github.com/workerbench/workerbench
License: MIT
Project-URL: Source, https://github.com/workerbench/workerbench
Project-URL: Documentation, https://github.com/workerbench/workerbench#readme
Classifier: Environment :: Console
Classifier: License :: OSI Approved :: MIT License
Classifier: Operating System :: MacOS
Classifier: Operating System :: POSIX :: Linux
Classifier: Topic :: Software Development :: Testing
Classifier: Topic :: System :: Benchmark
Requires-Python: >=3.8
Description-Content-Type: text/markdown

# workerbench

How many requests does your web server really serve at once, at what cost,
and did this pull request make it worse? workerbench boots your server
(gunicorn, uvicorn, puma, anything that takes a port) once per cell of a
workers × threads matrix, drives load at it over loopback and measures the
concurrency it achieves, throughput, latency, memory (Σ PSS) and CPU per
request; ` + "`ab`" + ` compares a change's head with its base.

This wheel carries the workerbench %[2]s binary for your platform (Linux or
macOS, x86-64 or arm64): ` + "`workerbench`" + ` and ` + "`python -m workerbench`" + ` run it, and
nothing else is installed. No Go needed.

    pipx run workerbench demo
    pip install workerbench && workerbench help

Measuring (` + "`run`, `ab`, `demo`" + `) needs Linux: memory and CPU come from /proc.
On macOS, ` + "`compare`, `merge`, `plot`, `trend`, `history` and `publish`" + ` work
on results.json files measured on Linux.

Documentation, the GitHub Action and the source:
https://github.com/workerbench/workerbench (release %[3]s).
`
