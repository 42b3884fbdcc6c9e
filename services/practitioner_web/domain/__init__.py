"""What the pages show and ask, without I/O: question pages and their answers, the safe-contact
choices, the priority of work, the chronology's filter and the report's charts."""
