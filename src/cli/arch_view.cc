#include "cli/arch_view.h"

#include "cli/table.h"
#include "study/record.h"

namespace paramscale::cli {

namespace {
std::string shape_text(const arch::Shape& s) {
  return std::to_string(s.c) + "x" + std::to_string(s.h) + "x" + std::to_string(s.w);
}
}  // namespace

void print_layer_table(std::ostream& out, const arch::Network& net, const arch::Analysis& a) {
  Table t(
      {"#", "layer", "op", "in->out ch", "output", "params", "MACs", "act bytes", "live bytes"});
  for (size_t i = 0; i < net.layers.size(); ++i) {
    const arch::Layer& l = net.layers[i];
    const arch::LayerCost& c = a.layers[i];
    t.add({std::to_string(i), l.name, arch::op_name(l.op),
           std::to_string(l.in.c) + "->" + std::to_string(l.out.c), shape_text(l.out),
           with_commas(c.params), with_commas(c.macs), with_commas(c.activation_bytes),
           with_commas(c.live_bytes) + (static_cast<int>(i) == a.peak_layer ? " *" : "")});
  }
  t.print(out);
}

void print_totals(std::ostream& out, const arch::Analysis& a, const arch::Network& net) {
  Table t({"total", "value"});
  t.add({"params", with_commas(a.params)});
  t.add({"proxy params (NeuralScale)", with_commas(a.proxy_params)});
  t.add({"MACs", with_commas(a.macs)});
  t.add({"weight MB (fp32, incl. BN stats)", megabytes(a.weight_bytes)});
  t.add({"activation sum MB (batch " + std::to_string(a.batch) + ")",
         megabytes(a.activation_sum_bytes)});
  t.add({"peak activation MB (batch " + std::to_string(a.batch) + ")",
         megabytes(a.peak_activation_bytes)});
  t.add({"peak at layer", net.layers[a.peak_layer].name});
  t.print(out);
}

nlohmann::json layers_json(const arch::Network& net, const arch::Analysis& a) {
  nlohmann::json layers = nlohmann::json::array();
  for (size_t i = 0; i < net.layers.size(); ++i) {
    const arch::Layer& l = net.layers[i];
    const arch::LayerCost& c = a.layers[i];
    layers.push_back({{"name", l.name},
                      {"op", arch::op_name(l.op)},
                      {"inputs", l.inputs},
                      {"in_channels", l.in.c},
                      {"out_channels", l.out.c},
                      {"output_shape", {l.out.c, l.out.h, l.out.w}},
                      {"width_index", l.width_index},
                      {"params", c.params},
                      {"macs", c.macs},
                      {"weight_bytes", c.weight_bytes},
                      {"activation_bytes", c.activation_bytes},
                      {"live_bytes", c.live_bytes}});
  }
  return layers;
}

nlohmann::json totals_json(const arch::Network& net, const arch::Analysis& a) {
  nlohmann::json totals = study::analysis_totals(a);
  totals["peak_layer"] = net.layers[a.peak_layer].name;
  return totals;
}

}  // namespace paramscale::cli
