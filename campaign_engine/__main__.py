from campaign_engine.cli import main

main()
