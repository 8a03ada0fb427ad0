module.exports = require('./dist/runtime');
