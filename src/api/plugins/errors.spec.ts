import { variableField } from './errors';

describe('variableField: the input a variable that did not coerce names', () => {
  it('within an input object, its path without the variable; a list position dropped', () => {
    expect(variableField('Variable "$i" got invalid value "yesterday" at "i.occurredAt"; DateTime cannot represent an invalid date-time-string yesterday.')).toBe('occurredAt');
    expect(variableField('Variable "$input" got invalid value 5 at "input.filter.regions[1]"; String cannot represent a non string value: 5')).toBe('filter.regions');
  });

  it('a required field it lacks, by its name (under its object\'s path)', () => {
    expect(variableField('Variable "$i" got invalid value { memberId: "x" }; Field "amount" of required type "Float!" was not provided.')).toBe('amount');
    expect(variableField('Variable "$i" got invalid value {} at "i.filter"; Field "name" of required type "String!" was not provided.')).toBe('filter.name');
  });

  it('a scalar variable, or one not provided, by the variable\'s name; anything else, nothing', () => {
    expect(variableField('Variable "$from" got invalid value "2026-13-01"; DateTime cannot represent an invalid date-time-string 2026-13-01.')).toBe('from');
    expect(variableField('Variable "$id" of required type "ID!" was not provided.')).toBe('id');
    expect(variableField('Syntax Error: Unexpected Name "x".')).toBeUndefined();
  });
});
