"""dalil's query layer: keyword and semantic retrieval, fusion, grouping, highlighting."""
