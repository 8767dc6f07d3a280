//! ELF files read (goblin, from a memory map) into small owned summaries.
