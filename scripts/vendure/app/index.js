// Starts Vendure: on the first start (no database file yet) it populates zones, countries, tax
// rates, a shipping method and the dummy payment method (initial-data.json) in the same process;
// later starts just bootstrap. The job queue runs in this process too (no separate worker).
const fs = require('fs');
const { bootstrap, JobQueueService } = require('@vendure/core');
const { populate } = require('@vendure/core/cli');
const { config } = require('./vendure-config');
const initialData = require('./initial-data.json');

async function main() {
    const database = config.dbConnectionOptions.database;
    const isFirstStart = !fs.existsSync(database);
    const app = isFirstStart
        ? await populate(() => bootstrap(config), initialData)
        : await bootstrap(config);
    await app.get(JobQueueService).start();
}

main().catch(error => {
    console.error(error);
    process.exit(1);
});
