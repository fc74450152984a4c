#!/bin/sh
# Placeholder: compares Makefile.am and CMakeLists.txt source lists (issue 4).
exit 0
