"""Reading a file as the field sends it, cleaning, mapping and storing it: file -> workspace."""
