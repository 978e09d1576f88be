; Definitions in JavaScript (also the base of the TypeScript query).
(class_declaration name: (_) @name) @definition.class
(function_declaration name: (identifier) @name) @definition.function
(generator_function_declaration name: (identifier) @name) @definition.function
(method_definition name: (_) @name) @definition.method
(lexical_declaration
  (variable_declarator
    name: (identifier) @name
    value: [(arrow_function) (function_expression) (class)])) @definition.function
(variable_declaration
  (variable_declarator
    name: (identifier) @name
    value: [(arrow_function) (function_expression) (class)])) @definition.function
(program (lexical_declaration
  (variable_declarator
    name: (identifier) @name
    value: [(string) (number) (object) (array) (template_string) (new_expression) (call_expression)])) @definition.variable)
(program (export_statement (lexical_declaration
  (variable_declarator
    name: (identifier) @name
    value: [(string) (number) (object) (array) (template_string) (new_expression) (call_expression)])) @definition.variable))
(assignment_expression
  left: (member_expression property: (property_identifier) @name)
  right: [(arrow_function) (function_expression)]) @definition.function
