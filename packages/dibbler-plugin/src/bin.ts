#!/usr/bin/env node
// The script the DHCP client runs on every lease event (the runtime is in plugin-msg).
import { pluginMain } from '@dhcpmgr/plugin-msg/runtime';
import { spec } from './plugin';

pluginMain(spec);
