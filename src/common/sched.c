/* sched.c -- placeholder */
