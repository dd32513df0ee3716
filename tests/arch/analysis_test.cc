#include <gtest/gtest.h>

#include "arch/analysis.h"
#include "arch/families.h"

using namespace paramscale::arch;
