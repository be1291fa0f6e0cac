// Placeholder: bundling of the MCP entry point is decided by measurement (see bench/).
