/* coordinator.h -- placeholder */
