#pragma once
// The one SVG writer: every picture pipewise draws (timelines, sweep heatmaps,
// recommendation charts) is built with it, so escaping and number formatting live here.
#include <string>
#include <string_view>

namespace pipewise {

// `text` with &, <, >, " and ' escaped for XML.
std::string xml_escaped(std::string_view text);

// An SVG drawing under construction: shapes in the order added, later ones on top.
// Coordinates are pixels, written with one decimal.
class SvgDocument {
 public:
  enum class Anchor { Start, Middle, End };

  // A rectangle; `title` becomes its tooltip. A stroke of "none" draws no outline.
  void rect(double x, double y, double width, double height, std::string_view fill,
            std::string_view stroke = "none", std::string_view title = {},
            double stroke_width = 1);
  void line(double x1, double y1, double x2, double y2, std::string_view stroke,
            double stroke_width = 1, std::string_view dash = {});
  // An unfilled path with SVG path data `data` ("M0 0 H10 V5").
  void path(std::string_view data, std::string_view stroke, double stroke_width = 1);
  // Text with its baseline at y; `weight` e.g. "bold".
  void text(double x, double y, std::string_view content, double size = 12,
            Anchor anchor = Anchor::Start, std::string_view fill = "#222",
            std::string_view weight = "normal");
  // A horizontal linear gradient `id` through evenly spaced `stops` (colours), for use as
  // fill "url(#id)".
  void horizontal_gradient(std::string_view id, const std::string* stops, std::size_t count);
  // Everything drawn in `other`, its origin moved to (x, y).
  void embed(double x, double y, const SvgDocument& other);

  // The whole document, `width` × `height` pixels on a white background, with its XML
  // declaration.
  std::string render(double width, double height) const;

 private:
  std::string definitions_;
  std::string body_;
};

}  // namespace pipewise
