module.exports = require('./dist/transport');
