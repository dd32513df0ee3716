#include <gtest/gtest.h>

#include "scaling/budget.h"
