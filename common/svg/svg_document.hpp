#pragma once
// A small SVG builder for the CLI's pictures (sweep heatmaps, recommendation charts).
#include <string>
#include <string_view>

namespace pipewise {

// `text` with &, <, >, " and ' escaped for XML.
std::string xml_escaped(std::string_view text);

class SvgDocument {
 public:
  enum class Anchor { Start, Middle, End };

  void rect(double x, double y, double width, double height, std::string_view fill,
            std::string_view stroke = "none", std::string_view title = {});
  void line(double x1, double y1, double x2, double y2, std::string_view stroke,
            double stroke_width = 1, std::string_view dash = {});
  // Text with its baseline at y; `weight` e.g. "bold".
  void text(double x, double y, std::string_view content, double size = 12,
            Anchor anchor = Anchor::Start, std::string_view fill = "#222",
            std::string_view weight = "normal");
  // A horizontal linear gradient `id` through evenly spaced `stops` (colours), for use as
  // fill "url(#id)".
  void horizontal_gradient(std::string_view id, const std::string* stops, std::size_t count);
  // Raw SVG markup from another writer (e.g. a nested <svg> placed at x, y).
  void raw(std::string_view markup);

  // The whole document, `width` × `height` pixels on a white background.
  std::string render(double width, double height) const;

 private:
  std::string definitions_;
  std::string body_;
};

}  // namespace pipewise
