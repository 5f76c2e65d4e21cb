// A minimal Vendure configuration for tests and the demo (REAL_CARTS.md §2.2): SQLite, loopback
// only, API keys enabled, the dummy payment handler, no dashboard. Every setting that differs
// between runs comes from the environment set by scripts/vendure/vendure.py.
const path = require('path');
const { DefaultSearchPlugin, dummyPaymentHandler } = require('@vendure/core');

const port = Number(process.env.VENDURE_PORT || 3000);
const database = process.env.VENDURE_DB_PATH || path.join(__dirname, 'vendure.sqlite');

exports.config = {
    apiOptions: {
        hostname: '127.0.0.1',
        port,
        adminApiPath: 'admin-api',
        shopApiPath: 'shop-api',
    },
    authOptions: {
        // 'api-key' is what the connector uses; without it every API key is FORBIDDEN.
        tokenMethod: ['bearer', 'cookie', 'api-key'],
        superadminCredentials: {
            identifier: process.env.VENDURE_SUPERADMIN_USERNAME || 'superadmin',
            password: process.env.VENDURE_SUPERADMIN_PASSWORD || 'superadmin',
        },
        cookieOptions: { secret: process.env.VENDURE_COOKIE_SECRET || 'integration-manager-test' },
    },
    dbConnectionOptions: {
        type: 'better-sqlite3',
        database,
        synchronize: true,
        logging: false,
    },
    paymentOptions: { paymentMethodHandlers: [dummyPaymentHandler] },
    plugins: [DefaultSearchPlugin.init({ bufferUpdates: false, indexStockStatus: true })],
};
