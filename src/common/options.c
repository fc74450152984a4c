/* options.c -- placeholder */
