#include "common/svg/svg_document.hpp"

#include <fmt/format.h>

namespace pipewise {

std::string xml_escaped(std::string_view text) {
  std::string escaped;
  escaped.reserve(text.size());
  for (const char c : text) {
    switch (c) {
      case '&': escaped += "&amp;"; break;
      case '<': escaped += "&lt;"; break;
      case '>': escaped += "&gt;"; break;
      case '"': escaped += "&quot;"; break;
      case '\'': escaped += "&apos;"; break;
      default: escaped += c;
    }
  }
  return escaped;
}

void SvgDocument::rect(double x, double y, double width, double height, std::string_view fill,
                       std::string_view stroke, std::string_view title, double stroke_width) {
  body_ += fmt::format(R"(<rect x="{:.1f}" y="{:.1f}" width="{:.1f}" height="{:.1f}" fill="{}" stroke="{}")",
                       x, y, width, height, fill, stroke);
  if (stroke != "none" && stroke_width != 1) body_ += fmt::format(R"( stroke-width="{}")", stroke_width);
  if (title.empty()) {
    body_ += "/>\n";
  } else {
    body_ += "><title>" + xml_escaped(title) + "</title></rect>\n";
  }
}

void SvgDocument::line(double x1, double y1, double x2, double y2, std::string_view stroke,
                       double stroke_width, std::string_view dash) {
  body_ += fmt::format(R"(<line x1="{:.1f}" y1="{:.1f}" x2="{:.1f}" y2="{:.1f}" stroke="{}" stroke-width="{}")",
                       x1, y1, x2, y2, stroke, stroke_width);
  if (!dash.empty()) body_ += fmt::format(R"( stroke-dasharray="{}")", dash);
  body_ += "/>\n";
}

void SvgDocument::path(std::string_view data, std::string_view stroke, double stroke_width) {
  body_ += fmt::format(
      R"(<path d="{}" fill="none" stroke="{}" stroke-width="{}" stroke-linejoin="round"/>)", data,
      stroke, stroke_width);
  body_ += "\n";
}

void SvgDocument::text(double x, double y, std::string_view content, double size, Anchor anchor,
                       std::string_view fill, std::string_view weight) {
  const char* anchor_name = anchor == Anchor::Start ? "start" : anchor == Anchor::Middle ? "middle" : "end";
  body_ += fmt::format(
      R"(<text x="{:.1f}" y="{:.1f}" font-size="{}" text-anchor="{}" fill="{}" font-weight="{}">{}</text>)",
      x, y, size, anchor_name, fill, weight, xml_escaped(content));
  body_ += "\n";
}

void SvgDocument::horizontal_gradient(std::string_view id, const std::string* stops,
                                      std::size_t count) {
  definitions_ += fmt::format(R"(<linearGradient id="{}" x1="0" y1="0" x2="1" y2="0">)", id);
  for (std::size_t i = 0; i < count; ++i) {
    const double offset = count > 1 ? 100.0 * static_cast<double>(i) / static_cast<double>(count - 1) : 0;
    definitions_ += fmt::format(R"(<stop offset="{:.1f}%" stop-color="{}"/>)", offset, stops[i]);
  }
  definitions_ += "</linearGradient>\n";
}

void SvgDocument::embed(double x, double y, const SvgDocument& other) {
  definitions_ += other.definitions_;
  body_ += fmt::format(R"svg(<g transform="translate({:.1f},{:.1f})">)svg", x, y);
  body_ += "\n" + other.body_ + "</g>\n";
}

std::string SvgDocument::render(double width, double height) const {
  std::string document = R"(<?xml version="1.0" encoding="UTF-8"?>)";
  document += "\n";
  document += fmt::format(
      R"(<svg xmlns="http://www.w3.org/2000/svg" width="{0:.0f}" height="{1:.0f}" viewBox="0 0 {0:.0f} {1:.0f}" font-family="Helvetica, Arial, sans-serif">)",
      width, height);
  document += "\n";
  if (!definitions_.empty()) document += "<defs>\n" + definitions_ + "</defs>\n";
  document += fmt::format(R"(<rect width="{:.0f}" height="{:.0f}" fill="white"/>)", width, height);
  document += "\n" + body_ + "</svg>\n";
  return document;
}

}  // namespace pipewise
