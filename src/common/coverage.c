/* coverage.c -- placeholder */
