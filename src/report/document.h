// report/document: a report as a list of blocks (headings, paragraphs, tables, plots), rendered to
// Markdown and to one self-contained HTML page (plots inlined as SVG), so both say the same thing.
#pragma once

#include <string>
#include <vector>

namespace paramscale::report {

struct Block {
  enum Kind { Heading, Paragraph, Table, Plot } kind = Paragraph;
  int level = 2;                               // Heading
  std::string text;                            // Heading, Paragraph; Plot: caption
  std::vector<std::vector<std::string>> rows;  // Table: rows[0] is the header
  std::string svg_file;                        // Plot: file name relative to the report dir
  std::string svg;                             // Plot: the SVG text
};

struct Document {
  std::vector<Block> blocks;
  void heading(std::string text, int level = 2) { blocks.push_back({Block::Heading, level, std::move(text), {}, {}, {}}); }
  void paragraph(std::string text) { blocks.push_back({Block::Paragraph, 0, std::move(text), {}, {}, {}}); }
  void table(std::vector<std::vector<std::string>> rows) { blocks.push_back({Block::Table, 0, {}, std::move(rows), {}, {}}); }
  void plot(std::string caption, std::string file, std::string svg) {
    blocks.push_back({Block::Plot, 0, std::move(caption), {}, std::move(file), std::move(svg)});
  }
};

std::string to_markdown(const Document& doc);
std::string to_html(const Document& doc, const std::string& title);

}  // namespace paramscale::report
