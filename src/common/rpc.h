/* rpc.h -- placeholder */
