/* corpus.c -- placeholder */
