#include "report/document.h"

#include <algorithm>

namespace paramscale::report {

namespace {
std::string escape(const std::string& s) {
  std::string o;
  for (char c : s) {
    if (c == '<')
      o += "&lt;";
    else if (c == '>')
      o += "&gt;";
    else if (c == '&')
      o += "&amp;";
    else
      o += c;
  }
  return o;
}

// Characters as a reader sees them (UTF-8 continuation bytes do not count), for column padding.
size_t display_width(const std::string& s) {
  return static_cast<size_t>(
      std::count_if(s.begin(), s.end(), [](char c) { return (c & 0xC0) != 0x80; }));
}

std::string md_cell(const std::string& s) {
  std::string o;
  for (char c : s) o += c == '|' ? std::string("\\|") : std::string(1, c);
  return o;
}

std::string md_table(const std::vector<std::vector<std::string>>& rows) {
  if (rows.empty()) return "";
  std::vector<size_t> w(rows[0].size(), 3);
  for (const auto& r : rows)
    for (size_t c = 0; c < r.size() && c < w.size(); ++c)
      w[c] = std::max(w[c], display_width(md_cell(r[c])));
  std::string out;
  for (size_t i = 0; i < rows.size(); ++i) {
    out += "|";
    for (size_t c = 0; c < w.size(); ++c) {
      const std::string cell = c < rows[i].size() ? md_cell(rows[i][c]) : "";
      out += " " + cell + std::string(w[c] - display_width(cell), ' ') + " |";
    }
    out += "\n";
    if (i == 0) {
      out += "|";
      for (size_t c = 0; c < w.size(); ++c) out += std::string(w[c] + 2, '-') + "|";
      out += "\n";
    }
  }
  return out;
}
}  // namespace

std::string to_markdown(const Document& doc) {
  std::string out;
  for (const Block& b : doc.blocks) {
    switch (b.kind) {
      case Block::Heading:
        out += std::string(b.level, '#') + " " + b.text + "\n\n";
        break;
      case Block::Paragraph:
        out += b.text + "\n\n";
        break;
      case Block::Table:
        out += md_table(b.rows) + "\n";
        break;
      case Block::Plot:
        out += "![" + b.text + "](" + b.svg_file + ")\n\n";
        break;
    }
  }
  return out;
}

std::string to_html(const Document& doc, const std::string& title) {
  std::string out =
      "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>" + escape(title) +
      "</title>\n<style>body{font-family:sans-serif;max-width:1100px;margin:2em auto;padding:0 1em}"
      "table{border-collapse:collapse;margin:1em 0;font-size:0.9em}td,th{border:1px solid #bbb;"
      "padding:2px "
      "6px;text-align:right}th{background:#eee}td:first-child,th:first-child{text-align:left}"
      "figure{margin:1em 0}figcaption{font-size:0.9em;color:#444}</style></head><body>\n";
  for (const Block& b : doc.blocks) {
    switch (b.kind) {
      case Block::Heading: {
        const std::string h = "h" + std::to_string(std::min(6, b.level));
        out += "<" + h + ">" + escape(b.text) + "</" + h + ">\n";
        break;
      }
      case Block::Paragraph:
        out += "<p>" + escape(b.text) + "</p>\n";
        break;
      case Block::Table:
        out += "<table>\n";
        for (size_t i = 0; i < b.rows.size(); ++i) {
          const char* cell = i == 0 ? "th" : "td";
          out += "<tr>";
          for (const auto& c : b.rows[i])
            out += std::string("<") + cell + ">" + escape(c) + "</" + cell + ">";
          out += "</tr>\n";
        }
        out += "</table>\n";
        break;
      case Block::Plot:
        out += "<figure>" + b.svg + "<figcaption>" + escape(b.text) + "</figcaption></figure>\n";
        break;
    }
  }
  return out + "</body></html>\n";
}

}  // namespace paramscale::report
