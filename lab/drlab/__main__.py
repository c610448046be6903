from drlab.cli import main

main()
