/* artifact.c -- placeholder */
