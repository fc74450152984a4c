/* sha1.h -- placeholder */
