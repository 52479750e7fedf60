// The /metrics section in a process of its own, as a daemon's web server has one: the bench's
// process has by then spent half an hour on the cost sections, and its heap is not the daemon's.
// Prints the ScrapeResult as one JSON line.
import { runScrape, type ScrapeOptions } from './scrape.ts';

const options = JSON.parse(process.argv[2] ?? '') as ScrapeOptions;
const result = await runScrape(options);
process.stdout.write(`${JSON.stringify(result)}\n`);
