/* rpc.c -- placeholder */
