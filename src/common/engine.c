/* engine.c -- placeholder */
