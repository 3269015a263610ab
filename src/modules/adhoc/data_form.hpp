// XEP-0004 data forms: building the forms commands show, reading the forms clients submit.
#pragma once

#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "util/expected.hpp"
#include "xml/element.hpp"

namespace telex::modules::adhoc {

inline constexpr std::string_view kDataNs = "jabber:x:data";

struct FormField {
  std::string var;
  std::string type;  // text-single, text-multi, list-single, hidden, fixed, boolean, jid-single, ...
  std::string label;
  std::string desc;
  bool required = false;
  std::vector<std::string> values;
  std::vector<std::pair<std::string, std::string>> options;  // {label, value}, for list-* fields
};

struct DataForm {
  std::string type = "form";  // form (to fill in) or result
  std::string title;
  std::string instructions;
  std::vector<FormField> fields;

  // Appends a field and returns it (valid until the next add).
  FormField& add(std::string var, std::string type, std::string label = {});
  // A text-multi value: one <value/> per line, as XEP-0004 asks.
  static std::vector<std::string> lines(std::string_view text);
  xml::Element toElement() const;
};

// The values of a submitted form (<x xmlns='jabber:x:data' type='submit'/>), by field name.
class FormValues {
 public:
  // Refuses anything but a well-formed submit form: wrong namespace or type, a field without a
  // name, the same name twice, more than kMaxFields fields or kMaxValues values in a field.
  static Expected<FormValues, std::string> parse(const xml::Element& x);
  static constexpr std::size_t kMaxFields = 100;
  static constexpr std::size_t kMaxValues = 1000;

  bool empty() const { return fields_.empty(); }
  bool has(std::string_view var) const { return fields_.find(var) != fields_.end(); }
  // First value, or "" when the field is absent or empty.
  std::string single(std::string_view var) const;
  // All values joined with '\n' (a text-multi field), "" when absent.
  std::string text(std::string_view var) const;
  const std::vector<std::string>* values(std::string_view var) const;
  std::string formType() const { return single("FORM_TYPE"); }

  // For tests and one-shot callers that build values directly.
  void set(std::string var, std::vector<std::string> values) { fields_[std::move(var)] = std::move(values); }

 private:
  std::map<std::string, std::vector<std::string>, std::less<>> fields_;
};

}  // namespace telex::modules::adhoc
