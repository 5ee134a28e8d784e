// Global random number generator.
#include "axonite/core/rng.h"
