/* artifact.h -- placeholder */
