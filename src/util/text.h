// util/text: numbers as text, one way for every table, report and message paramscale prints.
//
// Why a module: report/, sizing/, explain/ and cli/ each grew their own snprintf wrapper; one
// helper keeps their output identical and lets the compiler check every format string.
#pragma once

#include <string>

namespace paramscale {

// Fixed-point text with `decimals` digits after the point ("%.*f").
std::string fixed(double v, int decimals);

// An error message on one line: line breaks become spaces, trailing spaces go (library errors
// such as ONNX's checker and ONNX Runtime's span several lines).
std::string one_line(std::string message);

// printf-style formatting into a std::string of any length; formats are checked at compile time.
std::string format(const char* printf_format, ...) __attribute__((format(printf, 1, 2)));

}  // namespace paramscale
