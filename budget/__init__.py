"""The cost-sharing budget: lines, planned amounts by year and funding source, the MoI's
path to full ownership, actual spending, what-if scenarios and the donor workbook."""
