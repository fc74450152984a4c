/* mutator.c -- placeholder */
