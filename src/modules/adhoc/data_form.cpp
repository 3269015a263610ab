// Data form serialization and defensive parsing of submitted forms.
#include "modules/adhoc/data_form.hpp"

namespace telex::modules::adhoc {

FormField& DataForm::add(std::string var, std::string type, std::string label) {
  FormField field;
  field.var = std::move(var);
  field.type = std::move(type);
  field.label = std::move(label);
  fields.push_back(std::move(field));
  return fields.back();
}

std::vector<std::string> DataForm::lines(std::string_view text) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start <= text.size()) {
    auto end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(start, end - start);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    out.emplace_back(line);
    start = end + 1;
  }
  if (!out.empty() && out.back().empty()) out.pop_back();
  return out;
}

xml::Element DataForm::toElement() const {
  const std::string ns(kDataNs);
  xml::Element x("x", ns);
  x.setAttr("type", type);
  if (!title.empty()) x.addChild(xml::Element("title", ns)).addText(title);
  if (!instructions.empty()) x.addChild(xml::Element("instructions", ns)).addText(instructions);
  for (const auto& f : fields) {
    xml::Element field("field", ns);
    if (!f.var.empty()) field.setAttr("var", f.var);
    if (!f.type.empty()) field.setAttr("type", f.type);
    if (!f.label.empty()) field.setAttr("label", f.label);
    if (!f.desc.empty()) field.addChild(xml::Element("desc", ns)).addText(f.desc);
    if (f.required) field.addChild(xml::Element("required", ns));
    for (const auto& v : f.values) field.addChild(xml::Element("value", ns)).addText(v);
    for (const auto& [label, value] : f.options) {
      auto& option = field.addChild(xml::Element("option", ns));
      if (!label.empty()) option.setAttr("label", label);
      option.addChild(xml::Element("value", ns)).addText(value);
    }
    x.addChild(std::move(field));
  }
  return x;
}

Expected<FormValues, std::string> FormValues::parse(const xml::Element& x) {
  if (x.name() != "x" || x.xmlns() != kDataNs) return unexpected(std::string("not a data form"));
  if (x.attrOr("type", "") != "submit") return unexpected(std::string("the form must be of type submit"));
  FormValues out;
  std::size_t fields = 0;
  for (const auto& field : x.children()) {
    if (field.isText() || field.name() != "field" || field.xmlns() != kDataNs) continue;
    if (++fields > kMaxFields) return unexpected(std::string("too many fields"));
    auto var = field.attr("var");
    if (!var || var->empty()) return unexpected(std::string("a submitted field has no var"));
    if (out.has(*var)) return unexpected("field \"" + std::string(*var) + "\" appears twice");
    std::vector<std::string> values;
    for (const auto& value : field.children()) {
      if (value.isText() || value.name() != "value" || value.xmlns() != kDataNs) continue;
      if (values.size() >= kMaxValues) return unexpected(std::string("too many values"));
      values.push_back(value.textContent());
    }
    out.fields_.emplace(std::string(*var), std::move(values));
  }
  return out;
}

const std::vector<std::string>* FormValues::values(std::string_view var) const {
  auto it = fields_.find(var);
  return it == fields_.end() ? nullptr : &it->second;
}

std::string FormValues::single(std::string_view var) const {
  const auto* v = values(var);
  return v && !v->empty() ? v->front() : std::string();
}

std::string FormValues::text(std::string_view var) const {
  const auto* v = values(var);
  if (!v) return {};
  std::string out;
  for (std::size_t i = 0; i < v->size(); ++i) {
    if (i > 0) out += '\n';
    out += (*v)[i];
  }
  return out;
}

}  // namespace telex::modules::adhoc
