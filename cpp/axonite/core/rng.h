// Global random number generator (filled in by its owner).
#pragma once
