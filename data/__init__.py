"""Built-in data: the demo company (`data.demo`) and the template workbook (`data.template`)."""
