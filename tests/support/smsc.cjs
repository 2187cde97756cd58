// A small SMSC (SMPP 3.4 server) for the tests, on the npm `smpp` package.
//
//   node tests/support/smsc.cjs --port 0 --system-id ventanilla --password secreto
//
// Prints `SMSC_READY <port>`, then one JSON line per event (bind, submit_sm,
// deliver_sm_resp). Accepts one JSON command per line on stdin:
//   {"cmd": "mo", "source_addr": "524421234567", "text": "ESTADO ..."}  a message from a phone
//   {"cmd": "receipt", "stat": "UNDELIV", "err": "001"}  the state of the next receipts
//   {"cmd": "refuse", "status": 88, "count": 1}          refuse the next submit_sm
//   {"cmd": "dlr", "id": "m77", "stat": "DELIVRD"}        a receipt for any message id
// Every accepted submit_sm that asks for one gets a delivery receipt (esm_class
// 0x04, receipted_message_id and message_state TLVs) on a receiver or
// transceiver session of the same account; a receipt or message the client
// answers with an error is delivered again, like a real SMSC does.
'use strict';

const readline = require('readline');
const smpp = require('smpp');

const args = {port: 0, 'system-id': 'ventanilla', password: 'secreto'};
for (let i = 2; i < process.argv.length; i += 2) {
  args[process.argv[i].replace(/^--/, '')] = process.argv[i + 1];
}

const STATES = {DELIVRD: 2, EXPIRED: 3, DELETED: 4, UNDELIV: 5, ACCEPTD: 6, UNKNOWN: 7, REJECTD: 8};
const receivers = new Set();
const waiting = []; // deliver_sm parameters waiting for a receiver
let receipt = {stat: 'DELIVRD', err: '000'};
let refuse = {status: 0, count: 0};
let nextId = 1000;

function emit(event) {
  process.stdout.write(JSON.stringify(event) + '\n');
}

function stamp(date) {
  const p = (n) => String(n).padStart(2, '0');
  return `${p(date.getUTCFullYear() % 100)}${p(date.getUTCMonth() + 1)}${p(date.getUTCDate())}` +
    `${p(date.getUTCHours())}${p(date.getUTCMinutes())}`;
}

function receiptFor(id, stat, err, destination, source) {
  const now = stamp(new Date());
  return {
    source_addr: destination,
    destination_addr: source,
    esm_class: 0x04,
    short_message: `id:${id} sub:001 dlvrd:${stat === 'DELIVRD' ? '001' : '000'} ` +
      `submit date:${now} done date:${now} stat:${stat} err:${err} text:`,
    receipted_message_id: id,
    message_state: STATES[stat] || 7,
  };
}

function deliver(params, kind, tries) {
  const session = receivers.values().next().value;
  if (!session) {
    waiting.push([params, kind, tries]);
    return;
  }
  session.deliver_sm(params, (resp) => {
    emit({event: 'deliver_sm_resp', kind, command_status: resp.command_status});
    if (resp.command_status !== 0 && tries > 1) {
      setTimeout(() => deliver(params, kind, tries - 1), 200);
    }
  });
}

function flush() {
  while (waiting.length && receivers.size) {
    const [params, kind, tries] = waiting.shift();
    deliver(params, kind, tries);
  }
}

const server = smpp.createServer({debug: false}, (session) => {
  let mode = null;
  for (const command of ['bind_transmitter', 'bind_receiver', 'bind_transceiver']) {
    session.on(command, (pdu) => {
      session.pause();
      if (pdu.system_id !== args['system-id'] || pdu.password !== args.password) {
        emit({event: 'bind_refused', mode: command});
        session.send(pdu.response({command_status: smpp.ESME_RINVPASWD}));
        session.close();
        return;
      }
      mode = command.replace('bind_', '');
      session.send(pdu.response());
      session.resume();
      emit({event: 'bind', mode, system_id: pdu.system_id});
      if (mode !== 'transmitter') {
        receivers.add(session);
        flush();
      }
    });
  }
  session.on('submit_sm', (pdu) => {
    if (refuse.count > 0) {
      refuse.count -= 1;
      emit({event: 'submit_sm_refused', command_status: refuse.status});
      session.send(pdu.response({command_status: refuse.status}));
      return;
    }
    const id = `m${nextId++}`;
    const sm = pdu.short_message || {};
    const udh = sm.udh && sm.udh.length ? Buffer.concat(sm.udh).toString('hex') : null;
    emit({
      event: 'submit_sm',
      message_id: id,
      mode,
      source_addr: pdu.source_addr,
      source_addr_ton: pdu.source_addr_ton,
      destination_addr: pdu.destination_addr,
      dest_addr_ton: pdu.dest_addr_ton,
      data_coding: pdu.data_coding,
      esm_class: pdu.esm_class,
      registered_delivery: pdu.registered_delivery,
      udh,
      text: typeof sm === 'string' ? sm : sm.message,
    });
    session.send(pdu.response({message_id: id}));
    if (pdu.registered_delivery & 0x01) {
      const params = receiptFor(id, receipt.stat, receipt.err, pdu.destination_addr, pdu.source_addr);
      setTimeout(() => deliver(params, 'receipt', 5), 50);
    }
  });
  session.on('enquire_link', (pdu) => session.send(pdu.response()));
  session.on('unbind', (pdu) => {
    session.send(pdu.response());
    session.close();
  });
  session.on('close', () => receivers.delete(session));
  session.on('error', () => receivers.delete(session));
});

server.listen(Number(args.port), '127.0.0.1', () => {
  process.stdout.write(`SMSC_READY ${server.address().port}\n`);
});

readline.createInterface({input: process.stdin}).on('line', (line) => {
  const command = JSON.parse(line);
  if (command.cmd === 'mo') {
    const params = {
      source_addr: command.source_addr,
      source_addr_ton: 1,
      destination_addr: command.destination_addr || '',
      short_message: command.text,
    };
    if (command.data_coding !== undefined) params.data_coding = command.data_coding;
    deliver(params, 'mo', 1);
  } else if (command.cmd === 'receipt') {
    receipt = {stat: command.stat, err: command.err || '000'};
  } else if (command.cmd === 'dlr') {
    const params = receiptFor(command.id, command.stat, command.err || '000', '524421234567', '30100');
    deliver(params, 'receipt', command.tries || 20);
  } else if (command.cmd === 'refuse') {
    refuse = {status: command.status, count: command.count || 1};
  }
  emit({event: 'done', cmd: command.cmd});
});
process.stdin.on('end', () => process.exit(0));
