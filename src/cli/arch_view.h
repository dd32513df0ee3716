// cli/arch_view: a network's per-layer cost table and totals, as text or JSON (arch, scale).
#pragma once

#include <nlohmann/json.hpp>
#include <ostream>

#include "arch/analysis.h"
#include "arch/network.h"

namespace paramscale::cli {

void print_layer_table(std::ostream& out, const arch::Network& net, const arch::Analysis& a);
void print_totals(std::ostream& out, const arch::Analysis& a, const arch::Network& net);
nlohmann::json layers_json(const arch::Network& net, const arch::Analysis& a);
nlohmann::json totals_json(const arch::Network& net, const arch::Analysis& a);

}  // namespace paramscale::cli
