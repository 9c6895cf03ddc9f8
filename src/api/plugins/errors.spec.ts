import { variableField, violationMessage } from './errors';

describe('variableField: the input a variable that did not coerce names', () => {
  it('within an input object, the field\'s own name (as the resolvers\' checks and the console\'s forms name it); a list position dropped', () => {
    expect(variableField('Variable "$i" got invalid value "yesterday" at "i.occurredAt"; DateTime cannot represent an invalid date-time-string yesterday.')).toBe('occurredAt');
    expect(variableField('Variable "$input" got invalid value 5 at "input.filter.regions[1]"; String cannot represent a non string value: 5')).toBe('regions');
  });

  it('a required field it lacks, by its name', () => {
    expect(variableField('Variable "$i" got invalid value { memberId: "x" }; Field "amount" of required type "Float!" was not provided.')).toBe('amount');
    expect(variableField('Variable "$i" got invalid value {} at "i.filter"; Field "name" of required type "String!" was not provided.')).toBe('name');
    expect(variableField('Variable "$i" got invalid value { amount: 1, extra: 2 }; Field "extra" is not defined by type "RecordPurchaseInput". Did you mean "orderId"?')).toBe('extra');
    expect(variableField('Variable "$i" got invalid value { amount: 1, extra-field: 2 }; Field "extra-field" is not defined by type "I".')).toBe('extra-field');
    expect(variableField('Variable "$i" got invalid value { regionz: [] } at "i.filter"; Field "regionz" is not defined by type "F". Did you mean "regions"?')).toBe('regionz');
    // The unknown field's name is the client's own text: one that spells GraphQL's words names no other field.
    expect(variableField('Variable "$i" got invalid value { amount: 1, x; Field "amount" is not defined by type : 1 }; Field "x; Field "amount" is not defined by type " is not defined by type "I".')).toBe('i');
  });

  it('a scalar variable, or one not provided, by the variable\'s name; anything else, nothing', () => {
    expect(variableField('Variable "$from" got invalid value "2026-13-01"; DateTime cannot represent an invalid date-time-string 2026-13-01.')).toBe('from');
    expect(variableField('Variable "$id" of required type "ID!" was not provided.')).toBe('id');
    expect(variableField('Syntax Error: Unexpected Name "x".')).toBeUndefined();
  });
});

describe('violationMessage: a violation names its field once (found by an outside audit of the console)', () => {
  it('class-validator\'s message begins with the property: the field\'s path takes its place', () => {
    expect(violationMessage('pointsMultiplier', 'pointsMultiplier must not be less than 1')).toBe('pointsMultiplier must not be less than 1');
    expect(violationMessage('audience.minR', 'minR must not be greater than 5')).toBe('audience.minR must not be greater than 5');
  });
  it('a message naming a top-level field elsewhere stays as it is; one not naming it is prefixed with it', () => {
    expect(violationMessage('checkInPoints', 'each value in checkInPoints must not be less than 0')).toBe('each value in checkInPoints must not be less than 0');
    expect(violationMessage('code', 'Use letters and digits')).toBe('code: Use letters and digits');
    expect(violationMessage('rules.points', 'each value in points must be an integer')).toBe('rules.points: each value in points must be an integer');
  });
});
